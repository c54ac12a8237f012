// What Saferpay said about a failed request, as recorded for each close (decided on ErrorName and Behavior only).
export interface ErrorFields {
  errorName: string | null;
  behavior: string | null;
  httpStatus: number | null;
  /** Saferpay's ErrorMessage and ErrorDetail, kept as said (shown to people, never decided on). */
  errorMessage: string | null;
  errorDetail: string[] | null;
}
