import { DeadlineQueue, MAX_LEAD_MS } from '../src/deadline-queue.ts';

const until = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('DeadlineQueue', () => {
  test('runs jobs in deadline order, ties in arrival order, whatever order they were added in', async () => {
    // Prepare
    const queue = new DeadlineQueue();
    const ran: string[] = [];
    const t0 = performance.now();

    // Act
    queue.at(t0 + 30, () => ran.push('c'));
    queue.at(t0 + 10, () => ran.push('a1'));
    queue.at(t0 + 20, () => ran.push('b'));
    queue.at(t0 + 10, () => ran.push('a2'));
    queue.at(t0 - 5, () => ran.push('past'));
    await until(80);

    // Assess
    expect(ran).toEqual(['past', 'a1', 'a2', 'b', 'c']);
    expect(queue.size).toBe(0);
  });

  test('never runs a job before its time on the high-resolution clock', async () => {
    // Prepare
    const queue = new DeadlineQueue();
    const early: number[] = [];
    const t0 = performance.now();
    const jobs = Array.from({ length: 200 }, (_, i) => t0 + 1 + (i % 25) + i / 1000);

    // Act
    await new Promise<void>((done) => {
      let left = jobs.length;
      for (const at of jobs) {
        queue.at(at, () => {
          const now = performance.now();
          if (now < at) early.push(at - now);
          if (--left === 0) done();
        });
      }
    });

    // Assess
    expect(early).toEqual([]);
  });

  test('a throwing job does not stop the jobs due after it', async () => {
    // Prepare
    const queue = new DeadlineQueue();
    const ran: number[] = [];
    const t0 = performance.now();

    // Act
    queue.at(t0 + 5, () => {
      throw new Error('boom');
    });
    queue.at(t0 + 5, () => ran.push(1));
    await until(40);

    // Assess
    expect(ran).toEqual([1]);
  });

  test('clear drops the waiting jobs and stops the timer', async () => {
    // Prepare
    const queue = new DeadlineQueue();
    const ran: number[] = [];
    queue.at(performance.now() + 10, () => ran.push(1));

    // Act
    queue.clear();
    await until(40);

    // Assess
    expect(ran).toEqual([]);
    expect(queue.size).toBe(0);
  });

  test('an earlier job added after a later one re-arms the timer for itself', async () => {
    // Prepare
    const queue = new DeadlineQueue();
    const t0 = performance.now();
    let ranAt = 0;
    queue.at(t0 + 500, () => undefined);

    // Act
    await new Promise<void>((done) =>
      queue.at(t0 + 10, () => {
        ranAt = performance.now() - t0;
        done();
      }),
    );
    queue.clear();

    // Assess: lower bound only (no timed upper bounds on a shared machine); far below the 500 ms job
    expect(ranAt).toBeGreaterThanOrEqual(10);
    expect(ranAt).toBeLessThan(400);
  });

  /** A queue on a clock the test sets: each job "runs" `lateBy` ms after its time on that clock. */
  const steered = (early: number | 'on-time-mean') => {
    const clock = { t: 0 };
    const queue = new DeadlineQueue({ early, now: () => clock.t });
    const runOne = (lateBy: number) =>
      new Promise<void>((done) => {
        const at = clock.t + 1;
        queue.at(at, done);
        clock.t = at + lateBy; // what the clock will say when the (real) timer fires
      });
    return { queue, runOne };
  };

  test("'on-time-mean' leads by its timer's lateness, and never by more than MAX_LEAD_MS", async () => {
    // Prepare
    const { queue, runOne } = steered('on-time-mean');
    const leads: number[] = [];

    // Act: every job runs 3 ms late
    for (let i = 0; i < 40; i++) {
      await runOne(3);
      leads.push(queue.leadMs);
    }

    // Assess: from half a ms it climbs by 2 % of each lateness, up to the cap
    expect(leads[0]).toBeCloseTo(0.5 + 0.02 * 3, 9);
    expect(leads[1]).toBeCloseTo(0.5 + 2 * 0.02 * 3, 9);
    expect(Math.max(...leads)).toBe(MAX_LEAD_MS);
    expect(queue.leadMs).toBe(MAX_LEAD_MS);
  });

  test("'on-time-mean' lowers its lead when jobs run early; a fixed lead stays put", async () => {
    // Prepare
    const adaptive = steered('on-time-mean');
    const fixed = steered(1);

    // Act: every job runs half its queue's lead early
    for (let i = 0; i < 200; i++) {
      await adaptive.runOne(-adaptive.queue.leadMs / 2);
      await fixed.runOne(-fixed.queue.leadMs / 2);
    }

    // Assess: each early run takes 2 % of its earliness off the lead
    expect(adaptive.queue.leadMs).toBeCloseTo(0.5 * 0.99 ** 200, 6);
    expect(fixed.queue.leadMs).toBe(1);
  });
});
