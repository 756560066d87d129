"""Interoperation with real clouds: Terraform export, import of real state, and dump.

* :func:`export_terraform` writes the final state of a scenario as Terraform
  JSON for the ``alicloud`` or ``aws`` provider (:mod:`.terraform`);
* :func:`import_aliyun` turns the JSON answers of the cloud's List/Describe
  calls into a scenario (:mod:`.aliyun`);
* :func:`dump` writes those answers from a simulation (:mod:`.dump`), built
  by the response shapes of :mod:`.responses`.
"""

from .aliyun import Imported, import_aliyun, import_state
from .dump import dump
from .state import read_state, summary
from .terraform import PROVIDERS, export_terraform, terraform_config

__all__ = ["PROVIDERS", "Imported", "dump", "export_terraform", "import_aliyun", "summary",
           "import_state", "read_state", "terraform_config"]
