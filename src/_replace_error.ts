// `await using` does not tell a disposer which error is leaving its scope,
// and an error thrown by the disposer would be wrapped in a SuppressedError.
// Where Python's __aexit__ replaces the error leaving the scope (a timeout's
// CancelledError becomes TimeoutError, a task group's becomes its
// ExceptionGroup), the error object that is leaving is turned into the
// replacement in place instead.
export function replaceError(target: Error, replacement: Error): void {
  const cause = Object.assign(
    Object.create(Object.getPrototypeOf(target)),
    target,
    { message: target.message, stack: target.stack, name: target.name },
  );
  Object.setPrototypeOf(target, Object.getPrototypeOf(replacement));
  for (const key of Object.getOwnPropertyNames(target)) {
    delete (target as unknown as Record<string, unknown>)[key];
  }
  for (const key of Object.getOwnPropertyNames(replacement)) {
    Object.defineProperty(
      target,
      key,
      Object.getOwnPropertyDescriptor(replacement, key)!,
    );
  }
  if (!("cause" in replacement)) {
    Object.defineProperty(target, "cause", {
      value: cause,
      writable: true,
      configurable: true,
    });
  }
}
