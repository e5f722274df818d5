"""Loaded before Django (pytest.ini: `-p tests.environment`): the tests run as local development
does, with DEBUG on and the local secret key, unless the environment says otherwise. Settings
are secure by default, so without this the suite, and the workers it starts, would refuse to start."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
