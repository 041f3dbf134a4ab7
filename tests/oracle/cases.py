"""cases.py - the models and workloads the oracle (and tests/gpu/measure.py)
measures: small random-weight models of the families vramfit models, built
from the real config shapes in ../shared/models (and published configs for
the families with no file there), scaled to 2 layers and small hidden sizes
but keeping the real vocabulary (logits are a large term), saved with
save_pretrained so that vramfit reads the real checkpoint.

A case is a dict: name, model, kind (load, prefill, generate, train), batch,
seq, gen, and for training optim (adamw, sgd, adafactor), impl (foreach, for),
precision (fp32, mixed, bf16), grad_ckpt, lora (rank).  vramfit_args() turns
it into the matching `vramfit estimate` flags.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.join(HERE, "..", "..", "..", "shared", "models")


def _shared(name):
    p = os.path.join(MODELS_DIR, name)
    with open(p) as f:
        return json.load(f)


def model_configs():
    """name -> (config dict, torch dtype name to save in)."""
    out = {}
    # Llama-2-7b: 32 heads of 128, MHA, SwiGLU 11008/4096
    c = _shared("meta-llama__Llama-2-7b-hf.json")
    c.update(hidden_size=256, num_attention_heads=2, num_key_value_heads=2,
             intermediate_size=688, num_hidden_layers=2)
    out["llama2"] = (c, "float32")
    out["llama2-bf16"] = (dict(c), "bfloat16")
    # TinyLlama: GQA 32 heads / 4 kv of 64
    c = _shared("TinyLlama__TinyLlama-1.1B-Chat-v1.0.json")
    c.update(hidden_size=512, num_attention_heads=8, num_key_value_heads=1,
             intermediate_size=1408, num_hidden_layers=2)
    out["tinyllama"] = (c, "bfloat16")
    # Mistral-7B: GQA 32/8 of 128, sliding window 4096
    c = _shared("mistralai__Mistral-7B-v0.1.json")
    c.update(hidden_size=256, num_attention_heads=2, num_key_value_heads=1,
             intermediate_size=896, num_hidden_layers=2)
    out["mistral"] = (c, "bfloat16")
    # Mixtral-8x7B: Mistral's block with 8 experts, top 2 (mistralai/Mixtral-8x7B-v0.1)
    c = dict(_shared("mistralai__Mistral-7B-v0.1.json"))
    c.update(architectures=["MixtralForCausalLM"], model_type="mixtral",
             hidden_size=256, num_attention_heads=2, num_key_value_heads=1,
             intermediate_size=448, num_hidden_layers=2, num_local_experts=8,
             num_experts_per_tok=2, sliding_window=None, rope_theta=1e6,
             max_position_embeddings=32768)
    out["mixtral"] = (c, "bfloat16")
    # GPT-2 small: 12 heads of 64, learned positions, tied head
    c = _shared("openai-community__gpt2.json")
    c.update(n_embd=256, n_head=4, n_layer=2)
    out["gpt2"] = (c, "float32")
    # BERT-large: 16 heads of 64, MLM head
    c = _shared("google-bert__bert-large-uncased.json")
    c.update(hidden_size=256, num_attention_heads=4, intermediate_size=1024,
             num_hidden_layers=2)
    out["bert"] = (c, "float32")
    # t5-small (google-t5/t5-small config.json)
    out["t5"] = ({"architectures": ["T5ForConditionalGeneration"], "model_type": "t5",
                  "d_model": 256, "d_kv": 32, "d_ff": 1024, "num_heads": 8,
                  "num_layers": 2, "num_decoder_layers": 2, "vocab_size": 32128,
                  "relative_attention_num_buckets": 32, "dropout_rate": 0.1,
                  "feed_forward_proj": "relu", "tie_word_embeddings": True,
                  "decoder_start_token_id": 0, "pad_token_id": 0, "eos_token_id": 1,
                  "is_encoder_decoder": True, "layer_norm_epsilon": 1e-6},
                 "float32")
    # facebook/opt-125m: 12 heads of 64, ffn 3072, learned positions (offset 2)
    out["opt"] = ({"architectures": ["OPTForCausalLM"], "model_type": "opt",
                   "hidden_size": 256, "ffn_dim": 1024, "num_attention_heads": 4,
                   "num_hidden_layers": 2, "vocab_size": 50272,
                   "max_position_embeddings": 2048, "word_embed_proj_dim": 256,
                   "do_layer_norm_before": True, "dropout": 0.1, "attention_dropout": 0.0,
                   "activation_function": "relu", "enable_bias": True,
                   "pad_token_id": 1, "bos_token_id": 2, "eos_token_id": 2},
                  "float32")
    # tiiuae/falcon-7b: multi-query, parallel attention, 71 heads of 64
    out["falcon"] = ({"architectures": ["FalconForCausalLM"], "model_type": "falcon",
                      "hidden_size": 256, "num_attention_heads": 4, "num_hidden_layers": 2,
                      "vocab_size": 65024, "multi_query": True, "parallel_attn": True,
                      "new_decoder_architecture": False, "bias": False, "alibi": False,
                      "hidden_dropout": 0.0, "attention_dropout": 0.0,
                      "bos_token_id": 11, "eos_token_id": 11},
                     "bfloat16")
    return out


def _c(name, model, kind, b=1, s=128, g=0, **kw):
    d = dict(name=name, model=model, kind=kind, batch=b, seq=s, gen=g, optim="adamw",
             impl="foreach", precision="fp32", grad_ckpt=False, lora=0)
    d.update(kw)
    return d


def all_cases():
    cs = []
    for m in model_configs():
        cs.append(_c(f"load/{m}", m, "load"))
    for m, b, s in [("llama2", 1, 256), ("llama2", 4, 128), ("llama2-bf16", 1, 256),
                    ("llama2-bf16", 4, 128), ("tinyllama", 2, 256), ("mistral", 1, 256),
                    ("mixtral", 2, 128), ("gpt2", 4, 128), ("gpt2", 1, 512), ("bert", 4, 128),
                    ("t5", 2, 128), ("opt", 2, 256), ("falcon", 2, 128)]:
        cs.append(_c(f"prefill/{m}/b{b}s{s}", m, "prefill", b, s))
    for m, b, s, g in [("llama2", 1, 128, 16), ("llama2-bf16", 2, 64, 16),
                       ("tinyllama", 2, 64, 16), ("mistral", 1, 128, 16),
                       ("mixtral", 1, 64, 8), ("gpt2", 2, 64, 16), ("opt", 1, 128, 16),
                       ("falcon", 1, 64, 16), ("t5", 1, 64, 16)]:
        cs.append(_c(f"generate/{m}/b{b}s{s}g{g}", m, "generate", b, s, g))
    for m in ["llama2", "tinyllama", "mistral", "mixtral", "gpt2", "bert", "opt", "falcon", "t5"]:
        cs.append(_c(f"train-fp32/{m}", m, "train", 2, 128))
    for m in ["llama2", "gpt2"]:
        cs.append(_c(f"train-adamw-for/{m}", m, "train", 2, 128, impl="for"))
    for m in ["llama2", "tinyllama", "mistral"]:
        cs.append(_c(f"train-mixed/{m}", m, "train", 2, 128, precision="mixed"))
    for m in ["llama2-bf16", "tinyllama"]:
        cs.append(_c(f"train-bf16/{m}", m, "train", 2, 128, precision="bf16"))
    for m in ["llama2", "gpt2", "tinyllama"]:
        cs.append(_c(f"train-gradckpt/{m}", m, "train", 2, 128, grad_ckpt=True))
    for m in ["llama2", "bert"]:
        cs.append(_c(f"train-sgd/{m}", m, "train", 2, 128, optim="sgd"))
    for m in ["llama2", "t5"]:
        cs.append(_c(f"train-adafactor/{m}", m, "train", 2, 128, optim="adafactor"))
    for m in ["llama2", "mistral", "gpt2"]:
        cs.append(_c(f"train-lora/{m}", m, "train", 2, 128, lora=8))
    return cs


# the bounded subset make check runs (oracle.mk): one of each kind, small
QUICK = ["load/llama2", "prefill/llama2/b1s256", "prefill/gpt2/b4s128",
         "generate/tinyllama/b2s64g16", "train-fp32/llama2", "train-mixed/llama2",
         "train-gradckpt/gpt2", "train-lora/llama2"]


def case_type(c):
    return c["name"].split("/")[0]


def vramfit_args(c):
    a = ["--json", "--engine", "hf436", "--attn", "eager", "--overhead", "0",
         "--batch", str(c["batch"]), "--seq", str(c["seq"]), "--gen", str(c["gen"])]
    if c["kind"] == "train":
        a += ["--train", "--optim", c["optim"], "--precision", c["precision"]]
        if c["optim"] == "adamw":
            a += ["--optim-impl", c["impl"]]
        if c["grad_ckpt"]:
            a.append("--grad-ckpt")
        if c["lora"]:
            a += ["--lora", str(c["lora"])]
    return a
