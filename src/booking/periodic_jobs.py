"""The composition of the worker's jobs: importing this module registers every package's periodic jobs.

Imported by the app and the CLI (the composition root may import every package; the worker
itself, booking.notifications.worker, imports none). The order here is the order of a pass.
"""

import booking.ops.jobs
import booking.payments.jobs
import booking.scheduling.jobs
import booking.slypark.jobs  # noqa: F401  (offers and balances, student data purge)
