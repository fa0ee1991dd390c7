from waitbuddy.cli import main

raise SystemExit(main())
