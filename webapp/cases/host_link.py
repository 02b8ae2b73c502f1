"""What the cases feature needs from the host register (webapp.hosts), without importing it.

webapp.hosts builds on cases (its requests show consented parts of a person), so cases cannot import
hosts: create_app plugs the hosts feature in here once (dependency inversion). Without it (a bare
cases test) there are no register hosts: placements name an activity or a free-text host only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from webapp.accounts.models.user import User
    from webapp.cases.models import Consent, Placement


class HostDirectory(Protocol):
    def choices(self, session: Session) -> list[tuple[int, str]]:
        """(id, name) of the register's hosts, for the placement form."""
        ...

    def name_of(self, session: Session, host_id: int) -> str | None:
        """The host's name, or None when there is no such host."""
        ...

    def host_of_activity(self, session: Session, activity_id: int) -> int | None:
        """The register host of the organization that runs this activity, if any."""
        ...

    def proposed(self, session: Session, user: User, placement: Placement, consent: Consent) -> None:
        """The placement reached 打診 with this (live, host-naming) consent: send the host request."""
        ...

    def consent_withdrawn(self, session: Session, user: User, consent: Consent) -> None:
        """Close what the host could see under this consent."""
        ...


class _NoHosts:
    def choices(self, session: Session) -> list[tuple[int, str]]:
        return []

    def name_of(self, session: Session, host_id: int) -> str | None:
        return None

    def host_of_activity(self, session: Session, activity_id: int) -> int | None:
        return None

    def proposed(self, session: Session, user: User, placement: Placement, consent: Consent) -> None:
        return None

    def consent_withdrawn(self, session: Session, user: User, consent: Consent) -> None:
        return None


_directory: HostDirectory = _NoHosts()


def plug(directory: HostDirectory) -> None:
    global _directory
    _directory = directory


def hosts() -> HostDirectory:
    return _directory
