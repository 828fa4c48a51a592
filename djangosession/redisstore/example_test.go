package redisstore_test

import (
	"fmt"

	"github.com/djangobridge/bridge/djangosession/redisstore"
)

// A Cache for django-redis with ZlibCompressor on a primary and a read replica, from Django's
// LOCATION string. New makes no connection.
func ExampleNew() {
	c, err := redisstore.New(redisstore.Options{
		Location:   redisstore.SplitLocation(redisstore.FormatDjangoRedis, "redis://127.0.0.1:6379/1,redis://127.0.0.1:6380/1"),
		Format:     redisstore.FormatDjangoRedis,
		Compressor: redisstore.CompressorZlib,
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Println("pickle protocol", c.PickleProtocol())
	// Output:
	// pickle protocol 4
}

// Django's RedisCache splits LOCATION on ";" and ","; django-redis only on ",".
func ExampleSplitLocation() {
	loc := "redis://a:6379/1;redis://b:6379/1"
	fmt.Println(len(redisstore.SplitLocation(redisstore.FormatDjango, loc)))
	fmt.Println(len(redisstore.SplitLocation(redisstore.FormatDjangoRedis, loc)))
	// Output:
	// 2
	// 1
}
