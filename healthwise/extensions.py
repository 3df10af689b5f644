"""Flask extensions, created unbound and initialised in :func:`healthwise.create_app`."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

import healthwise.ratelimit  # noqa: F401 - registers the sqlite:// rate-limit storage
from healthwise.web.api import Api


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
compress = Compress()
csrf = CSRFProtect()
api = Api()
