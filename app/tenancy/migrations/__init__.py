"""How a migration reaches every guild: the migration files on disk (``files``), the one DDL
executor that sends every statement on its own (``ddl``), the one applier that runs migrations
in a schema (``applier``), the fleet runner over every schema (``fleet``; ``behind`` says which)
and its report (``report``), the versions applied where (``versions``), giving old schemas
their role (``role_pass``) and writing a new migration (``make``)."""
