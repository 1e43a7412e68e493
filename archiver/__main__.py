from archiver.cli.main import main

if __name__ == "__main__":  # not again in worker processes (archiver.jobs.workers)
    main()
