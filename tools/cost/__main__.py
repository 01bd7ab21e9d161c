from tools.cost.cli import main

raise SystemExit(main())
