args: gpus --list --json
exit: 0
stdout-has: "catalog":
stdout-has: "key":	"a100-80g"
stdout-has: "total":	85899345920
stdout-has: "bandwidth":	2039000000000
