# an offload folder that does not exist yet is measured at its nearest parent
args: gpus --json --gpu l4 --offload-folder @T/offload/not/yet
exit: 0
stdout-has: "disk_path":	"@T"
stdout-has: "disk_free":
