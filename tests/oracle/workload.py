"""workload.py - runs one case (cases.py) on a device and measures it with a
probe: the CPU oracle's Tracker (tracker.py) or, on a GPU, the CUDA caching
allocator's own counters (tests/gpu/measure.py).  The same code drives both,
so the CPU and GPU tables measure the same thing.

Measured terms (bytes, each storage rounded to 512):
  weights      parameters and buffers after loading
  kv_cache     the cache the forward returns (inference)
  logits       the logits tensor the forward returns (prefill)
  activations  inference: peak - weights - kv_cache;
               training: peak of forward+backward of the second step
               - weights - optimizer states
  gradients    the .grad tensors after the second backward
  optimizer    the optimizer's state tensors
  step         peak during the second optimizer step - weights - states
               (gradients + the step's temporaries)
  peak         the whole run's peak (what max_memory_allocated reports)
Training runs two steps, Trainer-style (zero_grad(set_to_none=True) after
each step), so the second step runs with the optimizer states present: the
steady state.
"""
import contextlib

import torch

import tracker


def _tensors_of(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_of(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_of(o)
    elif hasattr(obj, "key_cache"):  # transformers' Cache classes
        yield from _tensors_of(obj.key_cache)
        yield from _tensors_of(obj.value_cache)


class CpuProbe:
    """The oracle: live tensor storage as the CUDA allocator would count it."""

    def __init__(self):
        self.tr = None

    def start(self, baseline):
        self.tr = tracker.Tracker(baseline=baseline)
        self.tr.__enter__()

    def phase(self, name):
        self.tr.set_phase(name)

    def stop(self):
        self.tr.__exit__(None, None, None)
        return self.tr.peak, dict(self.tr.phase_peaks)


class CudaProbe:
    """torch.cuda.max_memory_allocated() per phase (weights are allocated)."""

    def __init__(self):
        self.peaks = {}
        self.cur = None

    def start(self, baseline):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        self.cur = "start"

    def phase(self, name):
        torch.cuda.synchronize()
        self.peaks[self.cur] = max(self.peaks.get(self.cur, 0), torch.cuda.max_memory_allocated())
        torch.cuda.reset_peak_memory_stats()
        self.cur = name

    def stop(self):
        self.phase("end")
        self.peaks.pop("end", None)
        return max(self.peaks.values()), dict(self.peaks)


def load(case, path, device, cfg_dtype):
    import transformers

    cls = getattr(transformers, case["arch"])
    if case["kind"] == "train" and case["precision"] in ("fp32", "mixed"):
        dtype = torch.float32
    else:
        dtype = getattr(torch, cfg_dtype)
    kw = {"torch_dtype": dtype}
    if case["model_type"] not in ("t5", "bert", "gpt2", "opt", "falcon"):
        kw["attn_implementation"] = "eager"
    model = cls.from_pretrained(path, **kw).to(device)
    return model


def run_case(case, path, device="cpu", probe=None):
    """Measures case on the checkpoint at path; returns the measured terms."""
    probe = probe or CpuProbe()
    torch.manual_seed(0)
    model = load(case, path, device, case["dtype"])
    cfg = model.config
    state = [t for t in model.parameters()] + [t for t in model.buffers()]
    W = tracker.live_bytes(state)
    m = {"weights": W}
    b, s, g = case["batch"], case["seq"], case["gen"]
    ids = torch.randint(3, cfg.vocab_size, (b, s), device=device)
    if case["kind"] == "load":
        m["peak"] = W
        return m
    if case["kind"] in ("prefill", "generate"):
        model.eval()
        probe.start(W)
        with torch.no_grad():
            if case["kind"] == "prefill":
                kw = {}
                if cfg.is_encoder_decoder:
                    kw["decoder_input_ids"] = torch.zeros((b, 1), dtype=torch.long,
                                                          device=device)
                if case["model_type"] != "bert":
                    kw["use_cache"] = True
                out = model(input_ids=ids, **kw)
                m["kv_cache"] = tracker.live_bytes(
                    _tensors_of(getattr(out, "past_key_values", None) or ()))
                m["logits"] = tracker.live_bytes([out.logits])
                del out
            else:
                pad = cfg.pad_token_id if cfg.pad_token_id is not None else 0
                model.generate(ids, max_new_tokens=g, min_new_tokens=g, do_sample=False,
                               pad_token_id=pad, num_beams=1)
        peak, phases = probe.stop()
        m["peak"] = peak
        if "kv_cache" in m:
            m["activations"] = peak - W - m["kv_cache"]
        return m
    # training
    if case["lora"]:
        import peft

        lc = peft.LoraConfig(r=case["lora"], lora_alpha=16, lora_dropout=0.0,
                             task_type="SEQ_2_SEQ_LM" if cfg.is_encoder_decoder else "CAUSAL_LM")
        model = peft.get_peft_model(model, lc)
        state = [t for t in model.parameters()] + [t for t in model.buffers()]
        W = m["weights"] = tracker.live_bytes(state)
    if case["grad_ckpt"]:
        model.gradient_checkpointing_enable()
        if case["lora"]:
            model.enable_input_require_grads()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if case["optim"] == "adamw":
        import optim21  # torch 2.1's step (the oracle runs 1.13), see optim21.py

        opt = optim21.AdamW(params, lr=1e-5, foreach=case["impl"] == "foreach")
    elif case["optim"] == "sgd":
        opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, foreach=True)
    else:
        from transformers.optimization import Adafactor

        opt = Adafactor(params, lr=1e-3, relative_step=False, scale_parameter=False,
                        warmup_init=False)
    if case["precision"] == "mixed":
        amp = lambda: torch.autocast(device_type=device.split(":")[0],  # noqa: E731
                                     dtype=torch.bfloat16)
    else:
        amp = contextlib.nullcontext
    probe.start(W)
    for step in (1, 2):
        probe.phase(f"fwdbwd{step}")
        with amp():
            # with gradient checkpointing transformers drops the cache anyway
            kw = {"use_cache": False} if case["grad_ckpt"] else {}
            loss = model(input_ids=ids, labels=ids, **kw).loss
        loss.backward()
        del loss
        if step == 2:
            m["gradients"] = tracker.live_bytes(p.grad for p in params if p.grad is not None)
            m["optimizer"] = tracker.live_bytes(_tensors_of(list(opt.state.values())))
        probe.phase(f"step{step}")
        opt.step()
        opt.zero_grad(set_to_none=True)
    peak, phases = probe.stop()
    m["peak"] = peak
    S = m["optimizer"]
    m["activations"] = phases.get("fwdbwd2", 0) - W - S
    m["step"] = phases.get("step2", 0) - W - S
    m["phases"] = phases
    return m
