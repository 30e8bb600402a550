// Form helpers: Rust's validation errors name the field they belong to.
import type { AppError } from "./bindings/AppError";

/** The error to show on `field`, if Rust's error names it. */
export function fieldError(error: AppError | null, field: string): AppError | null {
  return error && error.field === field ? error : null;
}

/** An error that belongs to no field of the form (shown above the buttons). */
export function formError(error: AppError | null, fields: readonly string[]): AppError | null {
  return error && !(error.field && fields.includes(error.field)) ? error : null;
}

/** Today's date as YYYY-MM-DD in local time, for date inputs' `min`. */
export function todayIso(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
