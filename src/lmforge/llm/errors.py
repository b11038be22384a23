"""Re-export of :mod:`lmforge.errors`, where the exception tree lives since Core v2.

Kept so that ``from lmforge.errors import InputError`` in user code goes on working.
"""

from lmforge.errors import *  # noqa: F403
from lmforge.errors import __all__  # noqa: F401
