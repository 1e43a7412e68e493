"""Everything specific to Thai: characters and digits, Buddhist-era dates, legacy encodings,
word segmentation. Used by every other layer; imports nothing of ours, so a fix here (a month
spelling, a codec alias, a segmenter upgrade) reaches the crawler, the extractor and the index
at once.
"""
