"""How a migration reaches every guild: the migration files on disk (``files``), the applier
that runs them in one schema (``applier``), the fleet runner over every schema (``fleet``) and
its report (``report``), the versions applied where (``versions``) and writing a new migration
(``make``)."""
