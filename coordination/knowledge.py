"""The knowledge base's text rules, written once: which rich text an article may hold (nh3
sanitises it on save) and how Chinese and English text becomes words for the full-text search
(jieba segments Chinese on the Python side; the stored words and the query go through the same
function, so a query word matches the article's word)."""

from __future__ import annotations

import html
import logging
import re

import jieba
import nh3

# Rich text an article may hold: structure, emphasis, lists, tables and links (no images,
# scripts, styles or event handlers; links get rel="noopener noreferrer").
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4",
    "blockquote", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}

jieba.setLogLevel(logging.WARNING)
# The portal's own terms, which jieba's general dictionary splits wrongly ("临时用电报装" would
# read 临时 / 用 / 电报 / 装).
for _term in (
    "报装", "用电", "临时用电", "用水", "用气", "供电", "供水", "外线", "承诺制", "免证办",
    "一次办", "补正", "受理", "办结", "并联审批", "好差评", "三零", "容缺", "迁移", "增容",
):  # fmt: skip
    jieba.add_word(_term, freq=200000)
_TAG = re.compile(r"<[^>]+>")
# Words worth indexing: a run of letters or digits (CJK included); punctuation is dropped.
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


def sanitise_html(text: str) -> str:
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(rich: str) -> str:
    return html.unescape(_TAG.sub(" ", rich))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def search_words(text: str) -> list[str]:
    """The words of `text`, lower-cased: jieba's search-engine mode (the whole word and its
    shorter words: "临时用电报装" is found by "临时用电" and by "报装"), whole words for
    everything else, and each pair of adjacent Chinese characters, so that a word jieba
    segments differently in the query and in the text is still found (see `query_words`)."""
    words: list[str] = []
    for token in jieba.cut_for_search(text):
        words.extend(_WORD.findall(token.lower()))
    for run in _CJK_RUN.findall(text):
        words.extend(_bigrams(run))
    return words


def search_text(text: str) -> str:
    return " ".join(search_words(text))


def query_words(query: str) -> list[str]:
    """The words of a search query, each once, in order, every one of which an article must
    hold: jieba's precise mode; a Chinese word of more than two characters becomes its pairs
    of characters (the text holds them all whichever way jieba cut it there)."""
    seen: dict[str, None] = {}
    for token in jieba.cut(query):
        for word in _WORD.findall(token.lower()):
            if len(word) > 2 and _CJK.fullmatch(word[0]) and _CJK_RUN.fullmatch(word):
                for pair in _bigrams(word):
                    seen.setdefault(pair, None)
            else:
                seen.setdefault(word, None)
    return list(seen)


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))
