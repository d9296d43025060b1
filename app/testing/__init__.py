"""The tester kit: a pytest plugin with fixtures and a driver for HubCheck's main window.

Load it in a test module with ``pytest_plugins = ["app.testing.plugin"]``. Fixtures:
``hubcheck_data_dir`` (empty data folder), ``hubcheck_sample_data_dir`` (sample CPL and job
pack imported), ``hubcheck_window`` / ``hubcheck_empty_window`` (a shown ``MainWindow``
whose cache has opened), ``hubcheck`` (a ``HubCheckDriver`` on the sample window),
``sample_cases`` (resources/sample/labels.json) and ``model_validator`` (qtmodeltester
plus row/column checks). Nothing in the application imports this package.
"""

from app.testing.driver import HubCheckDriver
from app.testing.samples import SampleCase, load_sample_cases

__all__ = ["HubCheckDriver", "SampleCase", "load_sample_cases"]
