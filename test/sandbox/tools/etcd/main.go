// Command etcd is etcd's server built from the module proxy. go.etcd.io/etcd/server/v3 cannot be
// `go install`ed (its go.mod has replace directives), so this wrapper module requires it and
// calls the same entry point as upstream's server/main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
