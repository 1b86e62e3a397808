"""ex2: staff-only parts (a package, so its suite and probes import as grader.course.ex2.*)."""
