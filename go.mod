module github.com/djangobridge/bridge

go 1.24
