# plan and capacity take archives as any PATH
setup: cp -r @F/tiny_llama . && zip -qr0 m.zip tiny_llama
args: plan --gpu 24GiB @T/m.zip
exit: 0
stdout-has: verdict       gpu
