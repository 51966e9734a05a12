"""Local development and `make run`: SQLite + filesystem broker unless the environment says otherwise."""

from qianwan.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
