"""How much work one search may do: the limits that keep it fast at a million articles.

Read as ``limits.NAME`` at call time, so that a test can lower one (``monkeypatch``).
"""

from __future__ import annotations

#: Word matches rated besides the title matches: the newest by publication date. Rating
#: reads the start of each text: about 20-40 us a row.
RANK_CANDIDATES = 50
#: Title matches rated whatever their age: the titles holding all the query's terms, when
#: they are at most this many (more say little about which article is meant).
TITLE_CAP = 50
#: Counts are exact below this; above it the CLI says "more than".
COUNT_CAP = 1000
#: ``--sort date`` sorts up to this many word matches; with more, it walks the date index.
DATE_SORT_CAP = 20_000
#: Counting substring-only matches stops after this long (then the count is a lower bound).
COUNT_BUDGET_S = 0.005
#: ``--sort date`` reads a year's word matches at once up to this many, else month by month;
#: it walks at most this many years (a misread date such as year 0001 sorts the old way).
YEAR_ROWS = 1000
MAX_YEARS = 200
#: ``--sort date`` walks the date index, probing the word index for each article, when a
#: page is expected within this many articles (a word in 40% of them: 50 for 20 hits).
DENSE_PROBES = 400
