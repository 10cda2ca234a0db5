import { LruCache } from './lru-cache';

/** A count below this after halving: the answer was last asked before the previous pass. */
const FORGOTTEN_BELOW = 0.5;

/** Requests counted per answer kept, for each answer warmed: the candidates the ranking picks from. */
const CANDIDATES_PER_ANSWER = 8;

interface Recipe {
  key: string;
  endpoint: string;
  /** Requests since the last pass, plus half of those before it (the counts halve at each pass). */
  asks: number;
  make: () => Promise<unknown>;
}

/**
 * The answers about the latest versions asked most, made again in the background when a silver
 * table gets a new version (`warm`), so that the first requests after a silver run find them in
 * the cache instead of each waiting for DuckDB. A dashboard opening asks the same few answers
 * (today's figures, the default ranges), which is what this keeps ready.
 *
 * Answers are made one at a time: a pass takes at most one of the query slots, and requests meanwhile
 * take the others (a request for an answer being made shares its computation). Requests are
 * counted per answer, and the counts halve at each pass, so the ranking follows recent traffic;
 * an answer not asked since the pass before last is forgotten, so warming stops with the traffic.
 */
export class AnswerWarmer {
  private readonly recipes: LruCache<string, Recipe>;
  private running?: Promise<void>;
  private queued?: Promise<void>;

  /**
   * @param maxAnswers answers made again per pass (0: none, nothing is counted)
   * @param onFailure told of an answer that could not be made (the error is the request path's too; it is not thrown)
   */
  constructor(
    readonly maxAnswers: number,
    private readonly onFailure: (endpoint: string, error: Error) => void,
  ) {
    if (!Number.isInteger(maxAnswers) || maxAnswers < 0) throw new RangeError(`maxAnswers must be a non-negative integer, got ${maxAnswers}`);
    this.recipes = new LruCache(Math.max(1, maxAnswers * CANDIDATES_PER_ANSWER));
  }

  /** Counts a request answered about the latest versions, keyed by endpoint and parameters; `make` makes its answer again. */
  asked(endpoint: string, key: string, make: () => Promise<unknown>): void {
    if (this.maxAnswers === 0) return;
    const recipe = this.recipes.get(key);
    if (recipe) recipe.asks++;
    else this.recipes.set(key, { key, endpoint, asks: 1, make });
  }

  /** Makes the most asked answers again; called during a pass, it runs one more pass after it (for the tables changed meanwhile). */
  warm(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = undefined;
        return this.warm();
      });
      return this.queued;
    }
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const recipes = [...this.recipes.values()];
    const ranked = recipes.sort((a, b) => b.asks - a.asks).slice(0, this.maxAnswers);
    for (const recipe of recipes) {
      recipe.asks /= 2;
      // Not asked since the pass before this one: forgotten, so an idle reader stops making answers (and looking at the log).
      if (recipe.asks < FORGOTTEN_BELOW) this.recipes.delete(recipe.key);
    }
    for (const recipe of ranked) {
      try {
        await recipe.make();
      } catch (e) {
        this.onFailure(recipe.endpoint, e as Error);
      }
    }
  }
}
