"""pose-sync for coaches and clubs: many athletes, one PostgreSQL, Procrastinate workers and a web app."""
