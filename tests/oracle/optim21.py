"""optim21.py - torch 2.1's AdamW step, ported op by op (torch/optim/adamw.py,
v2.1.0: _single_tensor_adamw and _multi_tensor_adamw, the non-capturable,
non-amsgrad paths), so that the oracle, which runs torch 1.13, measures the
step's temporaries the way torch 2.1 on CUDA allocates them.  They differ:
1.13's foreach step keeps sqrt(v) and sqrt(v)+eps (two copies of every
state), 2.1 adds eps in place (one copy); the for-loop step is the same in
both (sqrt(v) and its quotient, two copies of one parameter).

Only the memory-relevant structure is kept exact (which ops allocate, what
stays alive); 1.13 lacks _foreach_lerp_, replaced by the in-place
_foreach_mul_ + _foreach_add_ that allocate nothing either.
"""
import math

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 foreach=True):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, foreach=foreach))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            params, grads, m, v, steps = [], [], [], [], []
            for p in g["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:  # _init_group: step on the CPU (not capturable/fused)
                    st["step"] = torch.tensor(0.0)
                    st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                params.append(p)
                grads.append(p.grad)
                m.append(st["exp_avg"])
                v.append(st["exp_avg_sq"])
                steps.append(st["step"])
            if not params:
                continue
            b1, b2 = g["betas"]
            lr, wd, eps = g["lr"], g["weight_decay"], g["eps"]
            if g["foreach"]:
                _multi(params, grads, m, v, steps, b1, b2, lr, wd, eps)
            else:
                _single(params, grads, m, v, steps, b1, b2, lr, wd, eps)


def _single(params, grads, exp_avgs, exp_avg_sqs, steps, b1, b2, lr, wd, eps):
    for i, param in enumerate(params):
        grad, exp_avg, exp_avg_sq, step_t = grads[i], exp_avgs[i], exp_avg_sqs[i], steps[i]
        step_t += 1
        param.mul_(1 - lr * wd)
        exp_avg.mul_(b1).add_(grad, alpha=1 - b1)  # exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        step = step_t.item()
        bias_correction1 = 1 - b1 ** step
        bias_correction2 = 1 - b2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        param.addcdiv_(exp_avg, denom, value=-step_size)


def _multi(params, grads, exp_avgs, exp_avg_sqs, steps, b1, b2, lr, wd, eps):
    torch._foreach_add_(steps, 1)
    if wd != 0:
        torch._foreach_mul_(params, 1 - lr * wd)
    torch._foreach_mul_(exp_avgs, b1)  # torch._foreach_lerp_(exp_avgs, grads, 1 - b1)
    torch._foreach_add_(exp_avgs, grads, alpha=1 - b1)
    torch._foreach_mul_(exp_avg_sqs, b2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - b2)
    bias_correction1 = [1 - b1 ** s.item() for s in steps]
    bias_correction2 = [1 - b2 ** s.item() for s in steps]
    step_size = [(lr / bc) * -1 for bc in bias_correction1]
    bias_correction2_sqrt = [math.sqrt(bc) for bc in bias_correction2]
    exp_avg_sq_sqrt = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(exp_avg_sq_sqrt, bias_correction2_sqrt)
    torch._foreach_add_(exp_avg_sq_sqrt, eps)
    torch._foreach_addcdiv_(params, exp_avgs, exp_avg_sq_sqrt, step_size)
