from archiver.cli import main

if __name__ == "__main__":  # not again in worker processes (archiver.workers)
    main()
