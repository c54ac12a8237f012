// QI Tech's error bodies ({title, description, translation (pt-BR), code}). Codes SET… are QI Tech's
// documented ones; SBX… stand for answers QI Tech gives without a documented code (auth, validation, state).
export interface QiError {
  status: number;
  body: { title: string; description: string; translation: string; code: string };
}

const err = (status: number, code: string, title: string, description: string, translation: string): QiError => ({
  status,
  body: { title, description, translation, code },
});

export const qiErrors = {
  duplicateBatch: (id: string) =>
    err(400, 'SET000009', 'Payment batch already exists', `The Payment Batch with external_id ${id} already exists`, `O Lote de Pagamento com identificador externo ${id} já existe`),
  batchNotFound: (id: string) =>
    err(404, 'SET000010', 'Payment batch not found', `The Payment Batch with external_id ${id} was not found`, `O Lote de Pagamento com identificador externo ${id} não foi encontrado`),
  duplicateSettlement: (id: string) =>
    err(400, 'SET000013', 'Settlement already exists', `The Settlement with external_id ${id} already exists`, `A Liquidação com identificador externo ${id} já existe`),
  batchWithoutSettlements: (id: string) =>
    err(
      400,
      'SET000017',
      'Payment Batch with no settlement',
      `Payment batch of external_id: ${id} have no settlements to be settled`,
      `O lote de pagamento com identificador: ${id} não possui liquidações`,
    ),
  invalidStatus: (status: string) => err(400, 'SET000026', 'Invalid status', `The status given: ${status} is not suported.`, `O status: ${status} não possui suporte.`),
  settlementNotFound: (id: string) => err(404, 'SBX000404', 'Settlement not found', `The Settlement with external_id ${id} was not found`, `A Liquidação com identificador externo ${id} não foi encontrada`),
  batchNotOpen: (id: string, status: string) =>
    err(400, 'SBX000400', 'Payment batch not open', `The Payment Batch ${id} is ${status} and accepts no change`, `O Lote de Pagamento ${id} está ${status} e não aceita alterações`),
  invalidField: (field: string, reason: string) => err(400, 'SBX000422', 'Invalid field', `${field}: ${reason}`, `${field}: valor inválido`),
  unauthorized: (reason: string) => err(401, 'SBX000401', 'Unauthorized', `Invalid signature: ${reason}`, `Assinatura inválida: ${reason}`),
  notFound: () => err(404, 'SBX000404', 'Not found', 'No such endpoint', 'Endpoint inexistente'),
  unavailable: () => err(503, 'SBX000503', 'Service unavailable', 'Try again later', 'Tente novamente mais tarde'),
};
