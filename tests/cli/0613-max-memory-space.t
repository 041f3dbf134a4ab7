# a space after a comma is allowed (as people write dicts); cpu= is the budget as given
args: plan --json --gpu 1GiB --seq 512 --max-memory "0=1GiB, cpu=2GiB" @M/openai-community__gpt2.json
exit: 0
stdout-has: "device":	"cpu",
stdout-has: "budget":	2147483648,
