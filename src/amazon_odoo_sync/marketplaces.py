"""Amazon marketplaces and SP-API regions: reference data used by config validation, mapping, the
clients and the simulator. Plain data with no imports of ours, below `config` and `amazon`: config
validates accounts against it and the SP-API client reads its regions, so neither needs the other.

``prices_include_tax``: Amazon shows buyers tax-inclusive prices there (EU, UK, and other VAT/GST
marketplaces); in the US and Canada item prices exclude tax and tax is a separate amount.

``fba_network``: the FBA fulfilment network whose inventory serves the marketplace (Amazon's FBA
inventory is per network, not per marketplace or SP-API region): one pan-European pool "EU" for
DE FR IT ES NL BE SE PL IE (Pan-EU / EFN), the UK on its own since Brexit, every other
marketplace its own pool named by its code (US, CA and MX are separate pools).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LANGUAGE_TAGS", "MARKETPLACES", "PAN_EU", "REGIONS", "Marketplace", "Region", "by_code", "by_id",
           "language_tag"]

Region = Literal["NA", "EU", "FE"]

#: SP-API endpoint and LWA data per selling region (production; overridable in config).
REGIONS: dict[str, dict[str, str]] = {
    "NA": {"endpoint": "https://sellingpartnerapi-na.amazon.com", "aws_region": "us-east-1"},
    "EU": {"endpoint": "https://sellingpartnerapi-eu.amazon.com", "aws_region": "eu-west-1"},
    "FE": {"endpoint": "https://sellingpartnerapi-fe.amazon.com", "aws_region": "us-west-2"},
}


@dataclass(frozen=True, kw_only=True)
class Marketplace:
    id: str
    code: str  # the country code sellers use to name the marketplace ("UK", not "GB")
    country_code: str  # ISO 3166 country code, as Amazon returns it in addresses
    name: str
    region: Region
    currency: str
    prices_include_tax: bool
    domain: str
    fba_network: str


#: Marketplaces served by the pan-European FBA pool.
PAN_EU: frozenset[str] = frozenset({"DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL", "IE"})


def _m(id: str, code: str, country: str, name: str, region: Region, currency: str, incl: bool,
       domain: str) -> Marketplace:
    return Marketplace(id=id, code=code, country_code=country, name=name, region=region,
                       currency=currency, prices_include_tax=incl, domain=domain,
                       fba_network="EU" if code in PAN_EU else code)


MARKETPLACES: tuple[Marketplace, ...] = (
    _m("ATVPDKIKX0DER", "US", "US", "Amazon.com", "NA", "USD", False, "amazon.com"),
    _m("A2EUQ1WTGCTBG2", "CA", "CA", "Amazon.ca", "NA", "CAD", False, "amazon.ca"),
    _m("A1AM78C64UM0Y8", "MX", "MX", "Amazon.com.mx", "NA", "MXN", True, "amazon.com.mx"),
    _m("A2Q3Y263D00KWC", "BR", "BR", "Amazon.com.br", "NA", "BRL", True, "amazon.com.br"),
    _m("A1F83G8C2ARO7P", "UK", "GB", "Amazon.co.uk", "EU", "GBP", True, "amazon.co.uk"),
    _m("A1PA6795UKMFR9", "DE", "DE", "Amazon.de", "EU", "EUR", True, "amazon.de"),
    _m("A13V1IB3VIYZZH", "FR", "FR", "Amazon.fr", "EU", "EUR", True, "amazon.fr"),
    _m("APJ6JRA9NG5V4", "IT", "IT", "Amazon.it", "EU", "EUR", True, "amazon.it"),
    _m("A1RKKUPIHCS9HS", "ES", "ES", "Amazon.es", "EU", "EUR", True, "amazon.es"),
    _m("A1805IZSGTT6HS", "NL", "NL", "Amazon.nl", "EU", "EUR", True, "amazon.nl"),
    _m("AMEN7PMS3EDWL", "BE", "BE", "Amazon.com.be", "EU", "EUR", True, "amazon.com.be"),
    _m("A28R8C7NBKEWEA", "IE", "IE", "Amazon.ie", "EU", "EUR", True, "amazon.ie"),
    _m("A2NODRKZP88ZB9", "SE", "SE", "Amazon.se", "EU", "SEK", True, "amazon.se"),
    _m("A1C3SOZRARQ6R3", "PL", "PL", "Amazon.pl", "EU", "PLN", True, "amazon.pl"),
    _m("A33AVAJ2PDY3EV", "TR", "TR", "Amazon.com.tr", "EU", "TRY", True, "amazon.com.tr"),
    _m("A2VIGQ35RCS4UG", "AE", "AE", "Amazon.ae", "EU", "AED", True, "amazon.ae"),
    _m("A17E79C6D8DWNP", "SA", "SA", "Amazon.sa", "EU", "SAR", True, "amazon.sa"),
    _m("ARBP9OOSHTCHU", "EG", "EG", "Amazon.eg", "EU", "EGP", True, "amazon.eg"),
    _m("A21TJRUUN4KGV", "IN", "IN", "Amazon.in", "EU", "INR", True, "amazon.in"),
    _m("A1VC38T7YXB528", "JP", "JP", "Amazon.co.jp", "FE", "JPY", True, "amazon.co.jp"),
    _m("A39IBJ37TRP1C6", "AU", "AU", "Amazon.com.au", "FE", "AUD", True, "amazon.com.au"),
    _m("A19VAU5U5O7RUS", "SG", "SG", "Amazon.sg", "FE", "SGD", True, "amazon.sg"),
)

#: The language Amazon expects text attributes of a listing in (``language_tag``), by code.
LANGUAGE_TAGS: dict[str, str] = {
    "US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "UK": "en_GB", "DE": "de_DE",
    "FR": "fr_FR", "IT": "it_IT", "ES": "es_ES", "NL": "nl_NL", "BE": "fr_BE", "IE": "en_IE",
    "SE": "sv_SE", "PL": "pl_PL", "TR": "tr_TR", "AE": "en_AE", "SA": "ar_SA", "EG": "ar_EG",
    "IN": "en_IN", "JP": "ja_JP", "AU": "en_AU", "SG": "en_SG",
}

_BY_ID = {m.id: m for m in MARKETPLACES}
_BY_CODE = {m.code: m for m in MARKETPLACES}


def by_id(marketplace_id: str) -> Marketplace:
    """The marketplace with this Amazon id; KeyError names the id when unknown."""
    try:
        return _BY_ID[marketplace_id]
    except KeyError:
        raise KeyError(f"unknown Amazon marketplace id {marketplace_id!r}") from None


def by_code(code: str) -> Marketplace:
    """The marketplace for a seller-facing code such as "DE" or "UK" (GB is accepted for UK)."""
    code = code.upper()
    code = "UK" if code == "GB" else code
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown Amazon marketplace code {code!r}") from None


def language_tag(marketplace_id: str) -> str:
    """The primary ``language_tag`` of a marketplace's listings (de_DE for Amazon.de)."""
    return LANGUAGE_TAGS[by_id(marketplace_id).code]
