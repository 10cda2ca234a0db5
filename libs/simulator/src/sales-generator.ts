import { SalesEvent } from '@app/schemas';
import { buildCatalog, Client, Product } from './catalog';
import { mulberry32 } from './random';
import { SaleIdGenerator } from './sale-id';

/** The seed's sale: a random client buys 1 to 5 units of a random product; montant = prix × quantité. */
export class SalesGenerator {
  private readonly clients: Client[];
  private readonly products: Product[];
  private readonly random: () => number;

  constructor(
    catalog: { clients: number; products: number },
    private readonly ids: SaleIdGenerator,
    seed = Date.now(),
  ) {
    ({ clients: this.clients, products: this.products } = buildCatalog(catalog.clients, catalog.products));
    this.random = mulberry32(seed);
  }

  next(now = new Date()): SalesEvent {
    const client = this.clients[Math.floor(this.random() * this.clients.length)];
    const product = this.products[Math.floor(this.random() * this.products.length)];
    const quantite = 1 + Math.floor(this.random() * 5);
    return {
      vente_id: this.ids.next(),
      client_id: client.id,
      produit_id: product.id,
      timestamp: now.toISOString(),
      quantite,
      montant: Math.round(product.prix * quantite * 100) / 100,
      client_nom: client.nom,
      produit_nom: product.nom,
      categorie: product.categorie,
      pays: client.pays,
      segment: client.segment,
    };
  }
}
