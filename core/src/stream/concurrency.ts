// Runs tasks with at most `limit` at once. The first failure aborts the shared controller, so
// the tasks still running see their signal fire and stop, and no new task starts.

export async function runWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  onFailure: (error: unknown) => void,
  signal: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !firstError && !signal.aborted) {
      const index = next++;
      try {
        results[index] = await task(items[index]!, index);
      } catch (error) {
        if (!firstError) {
          firstError = { error };
          onFailure(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (firstError) throw firstError.error;
  signal.throwIfAborted();
  return results;
}
