"""Every feature's models, imported so the metadata is complete (Alembic, create_all, mapper set-up).

Features import their own and each other's models from the feature packages; only the app start,
the migrations environment and the tests import this module.
"""

from webapp.accounts.models import security, user  # noqa: F401
from webapp.cases import models as case_models  # noqa: F401
from webapp.changefeed import models as changefeed_models  # noqa: F401
from webapp.consult import models as consult_models  # noqa: F401
from webapp.hosts import models as host_models  # noqa: F401
from webapp.imports import uploads as import_uploads  # noqa: F401
from webapp.jobs import models as job_models  # noqa: F401
from webapp.listings.models import activity, organization, organizer, place, report  # noqa: F401
from webapp.mail import models as mail_models  # noqa: F401
from webapp.orm import Base
from webapp.security import models as security_models  # noqa: F401

__all__ = ["Base"]
