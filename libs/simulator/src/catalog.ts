import { Segment } from '@app/schemas';

export interface Client {
  id: number;
  nom: string;
  pays: string;
  segment: Segment;
}

export interface Product {
  id: number;
  nom: string;
  categorie: string;
  prix: number;
}

/** The seed simulator's five clients and five products; larger catalogs extend them deterministically. */
const SEED_CLIENTS: Client[] = [
  { id: 1, nom: 'Jean Dupont', pays: 'France', segment: 'Particulier' },
  { id: 2, nom: 'Marie Martin', pays: 'Belgique', segment: 'Particulier' },
  { id: 3, nom: 'TechCorp SA', pays: 'France', segment: 'Entreprise' },
  { id: 4, nom: 'Hans Müller', pays: 'Suisse', segment: 'Particulier' },
  { id: 5, nom: 'Global Industries', pays: 'Luxembourg', segment: 'Entreprise' },
];

const SEED_PRODUCTS: Product[] = [
  { id: 101, nom: 'Ordinateur portable', categorie: 'Électronique', prix: 899.99 },
  { id: 102, nom: 'Smartphone', categorie: 'Électronique', prix: 599.99 },
  { id: 103, nom: 'Bureau ergonomique', categorie: 'Mobilier', prix: 349.5 },
  { id: 104, nom: 'Chaise de bureau', categorie: 'Mobilier', prix: 189.9 },
  { id: 105, nom: 'Casque audio', categorie: 'Accessoires', prix: 79.99 },
];

const COUNTRIES = ['France', 'Belgique', 'Suisse', 'Luxembourg', 'Canada', 'Maroc', 'Sénégal'];
const CATEGORIES = ['Électronique', 'Mobilier', 'Accessoires', 'Papeterie', 'Logiciel'];

export function buildCatalog(clients: number, products: number): { clients: Client[]; products: Product[] } {
  const c = SEED_CLIENTS.slice(0, clients);
  for (let i = c.length; i < clients; i++) {
    const segment: Segment = i % 4 === 0 ? 'Entreprise' : 'Particulier';
    c.push({ id: i + 1, nom: `${segment === 'Entreprise' ? 'Société' : 'Client'} ${i + 1}`, pays: COUNTRIES[i % COUNTRIES.length], segment });
  }
  const p = SEED_PRODUCTS.slice(0, products);
  for (let i = p.length; i < products; i++) {
    p.push({ id: 101 + i, nom: `Produit ${101 + i}`, categorie: CATEGORIES[i % CATEGORIES.length], prix: Math.round((5 + ((i * 7919) % 99500) / 100) * 100) / 100 });
  }
  return { clients: c, products: p };
}
