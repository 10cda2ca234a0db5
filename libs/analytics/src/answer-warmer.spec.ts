import { AnswerWarmer } from './answer-warmer';

describe('AnswerWarmer', () => {
  it('makes the most asked answers again, one at a time, and the ranking follows recent requests', async () => {
    const failures: string[] = [];
    const warmer = new AnswerWarmer(2, (endpoint) => failures.push(endpoint));
    const made: string[] = [];
    let running = 0;
    const recipe = (key: string) => async () => {
      expect(++running).toBe(1);
      await new Promise((r) => setTimeout(r, 5));
      made.push(key);
      running--;
    };
    const ask = (key: string, times: number) => {
      for (let i = 0; i < times; i++) warmer.asked('e', key, recipe(key));
    };
    ask('a', 1);
    ask('b', 5);
    ask('c', 3);
    await warmer.warm();
    expect(made).toEqual(['b', 'c']);

    // The counts halved (b 2.5, c 1.5, a 0.5): a answered 3 times since ranks first.
    made.length = 0;
    ask('a', 3);
    await warmer.warm();
    expect(made).toEqual(['a', 'b']);
    expect(failures).toEqual([]);

    // With no request, the counts keep halving (a 1.75 → 0.875 → 0.44, b 1.25 → 0.625 → 0.31) until
    // each answer is forgotten: warming stops with the traffic, and starts again with it.
    made.length = 0;
    await warmer.warm();
    await warmer.warm();
    await warmer.warm();
    expect(made).toEqual(['a', 'b', 'a', 'b']);
    warmer.asked('e', 'c', recipe('c'));
    await warmer.warm();
    expect(made).toEqual(['a', 'b', 'a', 'b', 'c']);
  });

  it('runs one more pass when asked during a pass, and reports an answer that fails without throwing', async () => {
    const failures: Array<[string, string]> = [];
    const warmer = new AnswerWarmer(4, (endpoint, e) => failures.push([endpoint, e.message]));
    let made = 0;
    warmer.asked('ok', 'ok-key', async () => void made++);
    warmer.asked('broken', 'broken-key', () => Promise.reject(new Error('no such table')));
    const first = warmer.warm();
    const second = warmer.warm();
    const third = warmer.warm(); // shares the pass queued by the second call
    await Promise.all([first, second, third]);
    expect(made).toBe(2);
    expect(failures).toEqual([
      ['broken', 'no such table'],
      ['broken', 'no such table'],
    ]);
  });

  it('counts nothing and makes nothing with 0 answers', async () => {
    const warmer = new AnswerWarmer(0, () => undefined);
    const make = jest.fn(async () => undefined);
    warmer.asked('e', 'k', make);
    await warmer.warm();
    expect(make).not.toHaveBeenCalled();
  });
});
