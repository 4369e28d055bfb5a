/*
 * thread.c - thread slots and process structures.
 *
 * Slots are numbered; slot i's memory is fixed in the arena (mm.h). A slot
 * is FREE, LIVE, or EXITING. Any slot that is not FREE is reused once the
 * host has cleared its `alive` word (struct plat_tls): only then is nobody
 * running on its stack. That covers threads that called exit, and also vfork
 * children that exec'd or exited without telling the runtime. A slot is
 * marked alive the moment it is taken, so a slot that is allocated but not
 * yet started is never mistaken for a dead one.
 * slot_lock guards the states and the scan position.
 */
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/vma.h"
#include "proc.h"
#include "../lib/host.h"

static struct rt_lock slot_lock = RT_LOCK_INIT;
static struct rt_thread *slots[MM_SLOTS];
static unsigned slot_hint;
/* slots[i] is NULL from here on: the scans of every thread stop here, not
 * at MM_SLOTS (the patcher asks rt_memory_shared at sites it patches) */
static unsigned slots_used;

static struct rt_thread *slot_thread(unsigned i)
{
	uintptr_t top = mm_slot_base(i) + MM_SLOT_SIZE;
	return (struct rt_thread *)RT_ALIGN_DOWN(top - sizeof(struct rt_thread), 64);
}

static bool slot_reusable(struct rt_thread *t)
{
	return t->state == SLOT_FREE || __atomic_load_n(&t->tls.alive, __ATOMIC_ACQUIRE) == 0;
}

static struct rt_thread *slot_take(unsigned i)
{
	struct rt_thread *t = slot_thread(i);

	if (!slots[i]) {
		if (mm_slot_commit(i))
			return NULL;
		slots[i] = t;
		if (i >= slots_used)
			slots_used = i + 1;
	} else if (t->state != SLOT_FREE) {
		if (t->proc)
			proc_put(t->proc);
		if (t->fdt) /* a thread that never ran, or a vfork child that exec'd */
			fdt_put(t->fdt);
	}
	memset(t, 0, sizeof *t);
	t->slot = i;
	t->state = SLOT_LIVE;
	t->tls.alive = 1;
	t->tls.stack_lo = mm_slot_base(i) + RT_PAGE_SIZE;
	t->tls.stack_hi = (uintptr_t)t & ~(uintptr_t)63;
	t->altstack.ss_flags = K_SS_DISABLE;
	return t;
}

/* How much of the first thread's runtime stack booting uses (path buffers
 * of a few KiB each, several deep): faulted in with one host call instead of
 * a page fault per page, which costs more on a virtual machine. */
#define BOOT_STACK_POPULATE (64UL << 10)

struct rt_thread *thread_boot(void)
{
	rt_lock(&slot_lock);
	struct rt_thread *t = slot_take(0);
	rt_unlock(&slot_lock);
	if (t) {
		uintptr_t lo = RT_ALIGN_DOWN(t->tls.stack_hi - BOOT_STACK_POPULATE, RT_PAGE_SIZE);
		plat_mem_populate(lo, t->tls.stack_hi - lo); /* Linux 5.14; without it the pages fault in as used */
	}
	return t;
}

struct rt_thread *thread_alloc(void)
{
	struct rt_thread *t = NULL;

	rt_lock(&slot_lock);
	for (unsigned n = 0; n < MM_SLOTS; n++) {
		unsigned i = (slot_hint + n) % MM_SLOTS;
		if (slots[i] && !slot_reusable(slots[i]))
			continue;
		t = slot_take(i);
		if (t)
			slot_hint = i + 1;
		break;
	}
	rt_unlock(&slot_lock);
	if (!t)
		log_warn("out of runtime thread slots (%lu threads)", MM_SLOTS);
	return t;
}

void thread_release_slot(struct rt_thread *t)
{
	rt_lock(&slot_lock);
	RT_ASSERT(t->state == SLOT_LIVE); /* released once, by its own thread */
	t->state = SLOT_EXITING;
	rt_unlock(&slot_lock);
}

/* The other threads of this process (their tids in out, up to max; those
 * not started yet only if `unstarted`, with tid 0). */
static size_t other_threads(int *out, size_t max, bool unstarted)
{
	struct rt_thread *self = current();
	size_t n = 0;

	rt_lock(&slot_lock);
	for (unsigned i = 0; i < slots_used && n < max; i++) {
		struct rt_thread *t = slots[i];
		if (t && t != self && t->state == SLOT_LIVE && t->proc == self->proc &&
		    (t->tid > 0 || unstarted) && __atomic_load_n(&t->tls.alive, __ATOMIC_ACQUIRE))
			out[n++] = t->tid;
	}
	rt_unlock(&slot_lock);
	return n;
}

size_t rt_thread_tids(int *out, size_t max)
{
	return other_threads(out, max, false);
}

bool thread_alone(void)
{
	int tid;
	return other_threads(&tid, 1, true) == 0;
}

bool rt_memory_shared(void)
{
	struct rt_thread *self = current();
	bool shared = false;

	rt_lock(&slot_lock);
	for (unsigned i = 0; i < slots_used && !shared; i++) {
		struct rt_thread *t = slots[i];
		shared = t && t->state == SLOT_LIVE && t->proc != self->proc &&
			 __atomic_load_n(&t->tls.alive, __ATOMIC_ACQUIRE);
	}
	rt_unlock(&slot_lock);
	return shared;
}

void thread_calls_of_others(uint64_t *trapped, uint64_t *fast)
{
	struct rt_thread *self = current();

	rt_lock(&slot_lock);
	for (unsigned i = 0; i < slots_used; i++) {
		struct rt_thread *t = slots[i];
		if (t && t != self && t->state == SLOT_LIVE && t->proc == self->proc &&
		    __atomic_load_n(&t->tls.alive, __ATOMIC_ACQUIRE)) {
			*trapped += __atomic_load_n(&t->tls.n_trapped, __ATOMIC_RELAXED);
			*fast += __atomic_load_n(&t->tls.n_fast, __ATOMIC_RELAXED);
		}
	}
	rt_unlock(&slot_lock);
}

void thread_after_fork_child(struct rt_thread *self)
{
	/* The child has one thread; the others' slots are free memory here,
	 * and its fd table (the host copied only this thread's) is its own. */
	for (unsigned i = 0; i < slots_used; i++)
		if (slots[i] && slots[i] != self)
			slots[i]->state = SLOT_FREE;
	slot_lock.held = 0;
	self->fdt->refs = 1;
	self->proc->fdt_split = false;
}

/* ---- processes ------------------------------------------------------------ */

struct rt_proc *proc_new(void)
{
	struct rt_proc *p = rt_zalloc(sizeof *p);
	if (!p)
		return NULL;
	p->refs = 1;
	p->umask = 022;
	p->log_fd = -1;
	p->record_fd = -1;
	p->pidtab_fd = -1;
	for (unsigned i = 0; i < RT_ARRAY_LEN(p->rtfds); i++)
		p->rtfds[i] = -1;
	return p;
}

struct rt_proc *proc_clone(struct rt_proc *parent)
{
	struct rt_proc *p = proc_new();
	if (!p)
		return NULL;
	rt_lock(&parent->lock);
	p->cwd = rt_strdup(parent->cwd);
	p->cwd_host = parent->cwd_host;
	p->exe = parent->exe ? rt_strdup(parent->exe) : NULL;
	p->umask = parent->umask;
	memcpy(p->sigact, parent->sigact, sizeof p->sigact);
	p->log_fd = parent->log_fd;
	p->record_fd = parent->record_fd;
	p->pidtab_fd = parent->pidtab_fd;
	memcpy(p->rtfds, parent->rtfds, sizeof p->rtfds);
	rt_unlock(&parent->lock);
	vfs_record_to(p->record_fd, 'P', p->exe ? p->exe : "/");
	if (!p->cwd) {
		proc_put(p);
		return NULL;
	}
	return p;
}

void proc_put(struct rt_proc *p)
{
	int left = __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
	RT_ASSERT(left >= 0);
	if (left)
		return;
	rt_free(p->cwd);
	rt_free(p->exe);
	rt_free(p);
}

void proc_set_exe(struct rt_proc *p, const char *path)
{
	char *s = rt_strdup(path);
	rt_lock(&p->lock);
	char *old = p->exe;
	p->exe = s;
	rt_unlock(&p->lock);
	rt_free(old);
}

void fork_lock_all(void)
{
	struct rt_proc *p = current()->proc;
	rt_lock(&slot_lock);
	rt_lock(&p->lock);
	rt_lock(&current()->fdt->lock);
	vma_fork_lock(); /* before the allocator's, as vma.c takes them */
	rt_alloc_lock();
}

void fork_unlock_all(void)
{
	struct rt_proc *p = current()->proc;
	rt_alloc_unlock();
	vma_fork_unlock();
	rt_unlock(&current()->fdt->lock);
	rt_unlock(&p->lock);
	rt_unlock(&slot_lock);
}
