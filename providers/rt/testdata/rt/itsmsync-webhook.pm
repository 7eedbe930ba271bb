# itsmsync webhook for Request Tracker 5: an initialdata file that installs
# one global Scrip, "itsmsync: webhook", which POSTs a JSON document to the
# itsmsync callback handler on every status change, comment and
# correspondence. The body and headers are described in README.md beside
# this file.
#
# Install (as an RT administrator, on the RT server):
#
#   rt-setup-database --action insert --skip-create \
#       --datafile /path/to/itsmsync-webhook.pm
#
# and configure the endpoint in RT_SiteConfig.d (e.g. 90-itsmsync.pm):
#
#   Set($ITSMSyncWebhookURL, 'https://siem.example.com/itsm/callback/rt');
#   Set($ITSMSyncWebhookTokenFile, '/etc/request-tracker5/itsmsync.token');
#   # or Set($ITSMSyncWebhookToken, '<callback token>');
#   # optional: Set($ITSMSyncWebhookTimeout, 10);  # seconds
#   # optional: Set($ITSMSyncWebhookURLFile, '/path');  # URL read per delivery
#   # recommended: the RT user the itsmsync preset authenticates as, whose
#   # changes (our own pushes) are not sent back:
#   Set(@ITSMSyncWebhookSkipActors, 'itsmsync');
#
# The token file (and the URL file, when set) are read at every delivery,
# so the token can be rotated and the endpoint moved without restarting RT;
# keep the token file readable by RT's user only. A delivery
# never fails the RT transaction: an error is logged and the change is left
# to the itsmsync reconciler (it polls LastUpdated).
#
# SPDX-License-Identifier: Apache-2.0

@Scrips = (
    {
        Description    => 'itsmsync: webhook',
        ScripCondition => 'User Defined',
        ScripAction    => 'User Defined',
        Template       => 'Blank',
        Stage          => 'TransactionCreate',
        CustomIsApplicableCode => <<'PERL',
my $type = $self->TransactionObj->Type;
return 1 if $type eq 'Status' || $type eq 'Comment' || $type eq 'Correspond';
return 1 if $type eq 'Set' && ($self->TransactionObj->Field // '') eq 'Status';
return 0;
PERL
        CustomPrepareCode => 'return 1;',
        CustomCommitCode  => <<'PERL',
my $txn    = $self->TransactionObj;
my $ticket = $self->TicketObj;
# Changes made by the integration's own RT user are its own pushes: not sent
# back (the Scrip runs inside RT's answer to that push, before the SDK has
# recorded what it pushed, so the echo must be stopped here).
my %skip = map { lc($_) => 1 } @{ RT->Config->Get('ITSMSyncWebhookSkipActors') || [] };
return 1 if $skip{ lc( $txn->CreatorObj->Name // '' ) };
my $ok = eval {
    my $url = RT->Config->Get('ITSMSyncWebhookURL') // '';
    if ( my $file = RT->Config->Get('ITSMSyncWebhookURLFile') ) {
        open( my $fh, '<', $file ) or die "cannot read the URL file: $!\n";
        local $/;
        $url = <$fh> // '';
        close $fh;
    }
    $url =~ s/^\s+|\s+$//g;
    die "no webhook URL configured (\$ITSMSyncWebhookURL)\n" unless length $url;
    require JSON;
    require LWP::UserAgent;
    my $token = RT->Config->Get('ITSMSyncWebhookToken') // '';
    if ( my $file = RT->Config->Get('ITSMSyncWebhookTokenFile') ) {
        open( my $fh, '<', $file ) or die "cannot read the token file: $!\n";
        local $/;
        $token = <$fh> // '';
        close $fh;
    }
    $token =~ s/^\s+|\s+$//g;
    die "no callback token configured\n" unless length $token;

    my $type  = $txn->Type;
    my $event = ( $type eq 'Comment' || $type eq 'Correspond' ) ? 'comment' : 'status';
    my ( $comment, $old ) = ( undef, undef );
    if ( $event eq 'comment' ) {
        my $obj = $txn->ContentObj( Type => 'text/plain' );
        $comment = $obj ? $obj->Content : '';
        $comment = '' unless defined $comment;
    } else {
        $old = $txn->OldValue;
    }
    my $body = JSON->new->utf8->canonical->encode( {
        version          => 1,
        event            => $event,
        ticket_id        => '' . $ticket->id,
        queue            => $ticket->QueueObj->Name,
        status           => $event eq 'status' ? ( $txn->NewValue // $ticket->Status ) : $ticket->Status,
        old_status       => $old,
        transaction_id   => '' . $txn->id,
        transaction_type => $type,
        time             => $txn->CreatedObj->W3CDTF( Timezone => 'UTC' ),
        comment          => $comment,
        actor            => $txn->CreatorObj->Name,
    } );
    my $ua = LWP::UserAgent->new(
        agent        => 'itsmsync-rt-scrip/1',
        timeout      => RT->Config->Get('ITSMSyncWebhookTimeout') || 10,
        max_redirect => 0,
    );
    my $res = $ua->post(
        $url,
        'Content-Type'        => 'application/json; charset=utf-8',
        'Authorization'       => "Bearer $token",
        'X-RT-Transaction-Id' => $txn->id,
        Content               => $body,
    );
    die 'HTTP ' . $res->status_line . "\n" unless $res->is_success;
    1;
};
unless ($ok) {
    my $err = $@ || 'unknown error';
    chomp $err;
    RT->Logger->error( 'itsmsync webhook: ticket ' . $ticket->id . ' transaction ' . $txn->id . ": $err" );
}
return 1;
PERL
    },
);

1;
