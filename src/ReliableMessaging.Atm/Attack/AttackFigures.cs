namespace ReliableMessaging.Atm.Attack;

/// <summary>One kind of attack in a run: requests sent, refused as documented, never answered, and answered otherwise (each a violation).</summary>
public sealed record AttackFigures(long Sent, long Refused, long Unanswered, long NotRefused);
