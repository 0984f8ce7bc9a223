import { DeadlineQueue } from '../src/deadline-queue.ts';

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
});
