"""DUIS v5.4 enumerations, spelled exactly as the XSD spells them.

The values go into XML verbatim, so a typo here would be a schema failure at the DCC.
Member names are Python-friendly; ``.value`` is the DUIS text. ``DeviceType`` is not
repeated here: :class:`app.domain.devices.DeviceType` is used, with ``duis_allowed``
refusing SAPC.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class _DuisText(StrEnum):
    """A DUIS text enumeration: ``str(member)`` and ``member.value`` are the XSD spelling."""


class CommandVariant(IntEnum):
    """DUIS CommandVariant (header). HubCheck only queues 1, 4 and 8 itself."""

    NON_CRITICAL_WAN = 1
    NON_CRITICAL_LOCAL = 2
    NON_CRITICAL_WAN_AND_LOCAL = 3
    CRITICAL_TRANSFORM = 4
    SIGNED_PRECOMMAND_WAN = 5
    SIGNED_PRECOMMAND_LOCAL = 6
    SIGNED_PRECOMMAND_WAN_AND_LOCAL = 7
    NON_DEVICE = 8

    @property
    def is_critical_transform(self) -> bool:
        """CV 4 needs the back office's transform-and-sign round trip before it is done."""
        return self is CommandVariant.CRITICAL_TRANSFORM


class CHFInstallType(_DuisText):
    NEW = "New CHF Install"
    REPLACEMENT = "Replacement CHF Install"
    NO_SM_WAN = "CHF Install - no SM WAN"


class CHFLocation(_DuisText):
    OUTSIDE_PREMISES = "Outside Premises"
    INDOORS_EXTERNAL_WALL = "Indoors on external wall"
    DEEP_INDOORS = "Deep indoors"
    BASEMENT_OR_CELLAR = "Basement or Cellar"


class PremiseType(_DuisText):
    DETACHED_OR_SEMI = "Detached / Semi Detached"
    TERRACED = "Terraced"
    LOW_RISE_APARTMENT = "Low Rise Apartment (MDU <= 5 floors)"
    HIGH_RISE_APARTMENT = "High Rise Apartment (MDU > 5 floors)"


class CHFFaultReturnType(_DuisText):
    PRIOR_TO_INSTALLATION = "Fault identified prior to installation"
    POST_INSTALLATION = "Fault identified post installation"


class CHFConnectionMethod(_DuisText):
    HOT_SHOE = "Hot-shoe"
    CRADLE = "Cradle"
    ESME = "ESME"


class CHFFaultReason(_DuisText):
    DAMAGED_CASE = "Damaged case"
    DAMAGED_CONNECTOR = "Damaged Connector"
    ILLEGAL_INTERFERENCE = "Illegal interference or missing seals"
    ENVIRONMENTAL_CONDITIONS = "Environmental conditions exceeded"
    SM_WAN_FAULT = "SM WAN Fault"
    SMHAN_INTERFACE_FAULT = "SMHAN Interface Fault"
    LED_FAULT = "LED Fault"
    AERIAL_FAULT = "Aerial fault"
    MANUFACTURING_DEFECT = "Manufacturing defect"


class CHFNoFaultReturnType(_DuisText):
    GENERAL = "No Fault Return (general)"
    NON_DOM_OPT_OUT = "No Fault Return (non-dom opt out)"
    DUAL_SUPPLIER_HAN_VARIANT = "No Fault Return (dual supplier HAN variant replacement)"
    SM_WAN_VARIANT_BY_DCC = "No Fault Return (SM WAN variant replacement requested by DCC)"
    LOST_OR_STOLEN = "Lost or Stolen Hub"


class ESMEVariant(_DuisText):
    A = "A"
    B = "B"
    C = "C"
    AD = "AD"
    BD = "BD"
    CD = "CD"
    ADE = "ADE"
    BDE = "BDE"
    CDE = "CDE"
    ADF = "ADF"
    BDF = "BDF"
    CDF = "CDF"
    ADEF = "ADEF"
    BDEF = "BDEF"
    CDEF = "CDEF"
    ADG = "ADG"
    ADEG = "ADEG"
    AF = "AF"
    BF = "BF"
    CF = "CF"
    AEF = "AEF"
    BEF = "BEF"
    CEF = "CEF"
    AG = "AG"
    AEG = "AEG"


class HANLogRequestType(_DuisText):
    """8.11 ``RequestType``."""

    ADD = "Add"
    REMOVE = "Remove"


class DeviceStatusExceptCH(_DuisText):
    """8.4 ``UpdateDeviceStatusExceptCH``: the statuses a supplier may set on a non-hub device."""

    PENDING = "Pending"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"


class DeviceStatusCH(_DuisText):
    """8.4 ``UpdateDeviceStatusCH``: the statuses a supplier may set on a hub (CHF/GPF)."""

    COMMISSIONED = "Commissioned"
    WITHDRAWN = "Withdrawn"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"


class DeviceStatus(_DuisText):
    """SMI status as reported in an 8.2 inventory."""

    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


class CSPRegion(_DuisText):
    NORTH = "North"
    CENTRAL = "Central"
    SOUTH = "South"
    NORTH_4G = "4G North"
    CENTRAL_4G = "4G Central"
    SOUTH_4G = "4G South"
    UNKNOWN = "Unknown"
    SMETS1 = "SMETS1"


class Connectivity(_DuisText):
    CELLULAR = "Cellular"
    VIRTUAL = "Virtual"
