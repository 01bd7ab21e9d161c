from tools import exit_now
from tools.cost.cli import main

exit_now(main())
