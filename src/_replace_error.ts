// `await using` does not tell a disposer which error is leaving its scope,
// and an error thrown by the disposer would be wrapped in a SuppressedError.
// Where Python's __aexit__ replaces the error leaving the scope (a timeout's
// CancelledError becomes TimeoutError, a task group's becomes its
// ExceptionGroup), the error object that is leaving is turned into the
// replacement in place instead. The replacement may refer to the target
// (as its cause, or in its `errors`): those references get a copy of the
// target as it was, so that no error ends up containing itself.
export function replaceError(target: Error, replacement: Error): void {
  const before = Object.create(Object.getPrototypeOf(target)) as Error;
  for (const key of Reflect.ownKeys(target)) {
    Object.defineProperty(
      before,
      key,
      Object.getOwnPropertyDescriptor(target, key)!,
    );
  }
  const swap = (v: unknown) => v === target ? before : v;
  Object.setPrototypeOf(target, Object.getPrototypeOf(replacement));
  for (const key of Reflect.ownKeys(target)) {
    delete (target as unknown as Record<PropertyKey, unknown>)[key];
  }
  for (const key of Reflect.ownKeys(replacement)) {
    const descriptor = Object.getOwnPropertyDescriptor(replacement, key)!;
    if ("value" in descriptor) {
      descriptor.value = key === "errors" && Array.isArray(descriptor.value)
        ? descriptor.value.map(swap)
        : swap(descriptor.value);
    }
    Object.defineProperty(target, key, descriptor);
  }
  if (!("cause" in replacement)) {
    Object.defineProperty(target, "cause", {
      value: before,
      writable: true,
      configurable: true,
    });
  }
}
