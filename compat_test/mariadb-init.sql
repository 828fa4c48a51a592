-- docker-compose.yml's mariadb service runs this once, at its first start: the same grants
-- scripts/servers-start.sh gives on a plain machine (each bridge creates a database
-- djangobridge_<id>_<pid> of its own; compat_test/README.md).
GRANT ALL PRIVILEGES ON `djangobridge%`.* TO 'djangobridge'@'%';
