"""Who said it: the outlet or agency behind an item, by name, never by feed id.

An item's outlet is the publisher of its link (its host, looked up here, else the host
itself); a Federal Register document's actor is its most specific agency. Names of the hosts
the shipped sources and the sample corpus reach; an unknown host is shown as itself
(``example.org``), which still names the publisher.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

HOSTS = {
    "federalregister.gov": "Federal Register", "govinfo.gov": "GovInfo",
    "regulations.gov": "Regulations.gov", "ntia.gov": "NTIA", "ntia.doc.gov": "NTIA",
    "commerce.gov": "Commerce Department", "bis.gov": "BIS", "bis.doc.gov": "BIS",
    "whitehouse.gov": "White House", "gao.gov": "GAO", "nist.gov": "NIST",
    "congress.gov": "Congress.gov", "senate.gov": "U.S. Senate", "house.gov": "U.S. House",
    "apnews.com": "AP", "reuters.com": "Reuters", "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post", "politico.com": "Politico",
    "axios.com": "Axios", "bloomberg.com": "Bloomberg", "wsj.com": "The Wall Street Journal",
    "ft.com": "Financial Times", "theverge.com": "The Verge", "wired.com": "Wired",
    "arstechnica.com": "Ars Technica", "techcrunch.com": "TechCrunch",
    "404media.co": "404 Media", "slashdot.org": "Slashdot", "fedscoop.com": "FedScoop",
    "nextgov.com": "Nextgov", "broadbandbreakfast.com": "Broadband Breakfast",
    "isemag.com": "ISE Magazine", "manufacturing.net": "Manufacturing.net",
    "tmtpost.com": "TMTPost", "thejournal.com": "THE Journal",
    "campustechnology.com": "Campus Technology",
    "internationaltradetoday.com": "International Trade Today",
    "techopedia.com": "Techopedia", "kyma.com": "KYMA (AP)", "nippon.com": "Nippon.com",
    "thestar.com.my": "The Star (Malaysia)", "aidose.in": "AI Dose", "meritalk.com": "MeriTalk",
    "lawfaremedia.org": "Lawfare", "itif.org": "ITIF", "mozilla.org": "Mozilla",
    "eff.org": "EFF", "cset.georgetown.edu": "CSET", "brookings.edu": "Brookings",
    "csis.org": "CSIS", "rand.org": "RAND", "cooley.com": "Cooley",
    "akingump.com": "Akin", "arnoldporter.com": "Arnold & Porter",
    "covingtonblogs.com": "Covington", "cov.com": "Covington", "wiley.law": "Wiley",
    "mondaq.com": "Mondaq", "maynardnexsen.com": "Maynard Nexsen",
    "steptoe.com": "Steptoe", "wilmerhale.com": "WilmerHale", "dlt.com": "DLT Solutions",
    "anthropic.com": "Anthropic", "openai.com": "OpenAI", "ai.meta.com": "Meta",
    "huggingface.co": "Hugging Face",
}
AGENCIES = {
    "Industry and Security Bureau": "BIS",
    "National Telecommunications and Information Administration": "NTIA",
    "National Institute of Standards and Technology": "NIST",
    "Executive Office of the President": "White House",
    "Commerce Department": "Commerce Department",
    "Science and Technology Policy Office": "OSTP",
    "International Trade Administration": "ITA",
}


@lru_cache(maxsize=8192)
def host(url: str) -> str:
    """Return a link's host without ``www.`` ('' for no link)."""
    try:
        name = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return name.removeprefix("www.")


@lru_cache(maxsize=8192)  # a digest asks for the same few hosts thousands of times
def outlet(url: str, source_id: str) -> str:
    """Return the name of the outlet that published a link: the host's known name (its
    parent domains are tried too: ``yro.slashdot.org`` is Slashdot), else the host, else the
    source id when the item has no link."""
    name = host(url)
    parts = name.split(".")
    for i in range(len(parts) - 1):
        known = HOSTS.get(".".join(parts[i:]))
        if known:
            return known
    return name or source_id


def agency(agencies: tuple[str, ...]) -> str | None:
    """Return the short name of the most specific agency of a Federal Register document."""
    for name in reversed(agencies):
        if name:
            return AGENCIES.get(name, name)
    return None


def actor(url: str, source_id: str, agencies: tuple[str, ...] = ()) -> str:
    """Return who an item speaks for: its agency (a Federal Register document), else the
    outlet or organisation that published it."""
    return agency(agencies) or outlet(url, source_id)
