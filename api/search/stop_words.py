"""Words a search ignores, in English and French: they are in nearly every text, so a query word
among them ("hotlines in France") would only favour long descriptions over what was asked for.

Both engines use the same list: Meilisearch through its `stopWords` setting (ignored when indexing
and searching), the embedded engine by dropping them from the query. Codes and acronyms that look
like them are kept off the list ("UN", "US", "AT"); country codes are not searched words anyway
(api/search/classifications.py).
"""

STOP_WORDS = (
    # English
    "a", "an", "and", "the", "of", "in", "on", "for", "to", "with", "by", "or", "from", "about",
    # French
    "de", "du", "des", "la", "le", "les", "l", "d", "en", "et", "au", "aux", "une", "pour", "dans", "sur", "par",
)
