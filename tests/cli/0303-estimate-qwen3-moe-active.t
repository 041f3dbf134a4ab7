# Qwen3-30B-A3B: 30,532,122,624 total, 3,353,032,704 active per token
args: estimate --json @M/Qwen__Qwen3-30B-A3B.json
exit: 0
stdout-has: "total":	30532122624
stdout-has: "active":	3353032704
