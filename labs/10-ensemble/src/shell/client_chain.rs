//! The request chain of an ensemble member: lab 08's connections hand every request to the
//! main loop, which owns the tree and the quorum core (`quorum_peer_main.rs`).

use std::sync::Arc;

use lab08_znodes::cnxn_factory::{RequestChain, Shared};
use lab08_znodes::proposer::BoxFuture;
use lab08_znodes::request_processor::Submitted;
use tokio::sync::mpsc;

pub struct ClientChain {
    pub to_main: mpsc::UnboundedSender<Submitted>,
}

impl RequestChain for ClientChain {
    fn run(
        self: Box<Self>,
        _shared: Arc<Shared>,
        mut requests: mpsc::UnboundedReceiver<Submitted>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            while let Some(r) = requests.recv().await {
                if self.to_main.send(r).is_err() {
                    break;
                }
            }
        })
    }
}
