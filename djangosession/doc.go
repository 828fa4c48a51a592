// Package djangosession reads and writes the sessions of a running Django app from Go: the
// session dicts Django's cache session backends keep in Redis or memcached (Python pickles), the
// signed values of django.core.signing, the db/cached_db session_data string and the
// signed_cookies cookie value.
package djangosession
