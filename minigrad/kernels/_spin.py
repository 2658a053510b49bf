"""A bounded wait that polls memory without the GIL: how minigrad's crew hands work
over in microseconds instead of a tenth of a millisecond.

A thread blocked on a queue sleeps in the kernel (a futex); waking it is a system
call, a trip through the scheduler and, on a virtual machine whose idle core has
halted, an interrupt the hypervisor delivers. On the 2-core virtual machine this was
written on, a put on a SimpleQueue reached a sleeping thread after 95-215 us, and a
whole hand-off (job out, result back) took 140-275 us. A conv's forward and backward
make three such hand-offs, so a small conv lost a third of its time to them.

So a thread that has just finished its work polls a flag for a short while before
it sleeps (`wait_for_change`): if the next job arrives in that time the hand-off
takes 4-10 us. The poll runs in a nogil Numba function, so it never holds the GIL
the other thread needs, and is bounded (_threads.SPIN_POLLS polls, about 0.3 ms at 1.5 ns a poll):
a process that stops calling minigrad's kernels has all its threads asleep soon
after. OpenMP runtimes do the same (GOMP_SPINCOUNT, KMP_BLOCKTIME).

The flag is read with an atomic acquire load: the loop stores nothing, so the
compiler may hoist an ordinary load out of it, and the wait would never see the
change (Numba 0.68's LLVM happened not to; the atomic load makes it a promise).
The flag only shortens a wait; every hand-off still goes through the queues, so a
change the poll misses costs time, never correctness.

Imported when the crew starts (minigrad.kernels._threads), after Numba is loaded.
"""

from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def _acquire_load(typingctx, flags, index):
    """flags[index] read with an atomic acquire load (int64 flags, C-contiguous 1-D)."""
    signature = types.int64(flags, index)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.load_atomic(builder.gep(array.data, [args[1]]), "acquire", 8)

    return signature, codegen


@njit(nogil=True, cache=True)
def wait_for_change(flags, index, seen, polls):
    """Poll flags[index] up to `polls` times, without the GIL; True as soon as it
    differs from `seen`, False if it never did."""
    for _ in range(polls):  # noqa: SIM110  (Numba compiles loops, not generators)
        if _acquire_load(flags, index) != seen:
            return True
    return False
