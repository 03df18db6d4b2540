fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let tree = openspec::flake::source::SourceTree::load(&root);
    let mut ev = openspec::flake::eval::Eval::new(&tree);
    openspec::flake::hosts::prepare(&mut ev);
    for rel in tree.nix.keys() {
        let t = std::time::Instant::now();
        let mut w = openspec::flake::walk::Walker::new(&ev);
        ev.refuel();
        eprint!("{rel} ... ");
        w.walk_file(rel);
        eprintln!("{:?} {} refs", t.elapsed(), w.refs.len());
    }
}
